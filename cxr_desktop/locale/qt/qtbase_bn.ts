<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Qt's own words (standard buttons, text field menus, the file dialog) in bn: Qt ships
     no translation for this language. A DRAFT for review, like cxr_desktop.po; compiled to
     qtbase_bn.qm by `python -m cxr_desktop.i18n_catalog compile`. Keep every %1. -->
<TS version="2.1" language="bn">
<context>
    <name>QAbstractSpinBox</name>
    <message>
        <source>&amp;Select All</source>
        <translation>সব &amp;নির্বাচন করুন</translation>
    </message>
    <message>
        <source>&amp;Step up</source>
        <translation>&amp;বাড়ান</translation>
    </message>
    <message>
        <source>Step &amp;down</source>
        <translation>&amp;কমান</translation>
    </message>
</context>
<context>
    <name>QComboBox</name>
    <message>
        <source>False</source>
        <translation>মিথ্যা</translation>
    </message>
    <message>
        <source>Open the combo box selection popup</source>
        <translation>কম্বো বক্সের তালিকা খুলুন</translation>
    </message>
    <message>
        <source>True</source>
        <translation>সত্য</translation>
    </message>
</context>
<context>
    <name>QDialogButtonBox</name>
    <message>
        <source>OK</source>
        <translation>ঠিক আছে</translation>
    </message>
</context>
<context>
    <name>QDockWidget</name>
    <message>
        <source>Close</source>
        <translation>বন্ধ করুন</translation>
    </message>
    <message>
        <source>Closes the dock widget</source>
        <translation>ডক উইজেট বন্ধ করে</translation>
    </message>
    <message>
        <source>Float</source>
        <translation>আলাদা করুন</translation>
    </message>
    <message>
        <source>Undocks and re-attaches the dock widget</source>
        <translation>ডক উইজেট আলাদা করে এবং আবার জুড়ে দেয়</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>%1
Directory not found.
Please verify the correct directory name was given.</source>
        <translation>%1
ফোল্ডার পাওয়া যায়নি।
ফোল্ডারের নাম সঠিক কি না দেখুন।</translation>
    </message>
    <message>
        <source>%1
File not found.
Please verify the correct file name was given.</source>
        <translation>%1
ফাইল পাওয়া যায়নি।
ফাইলের নাম সঠিক কি না দেখুন।</translation>
    </message>
    <message>
        <source>%1 File</source>
        <translation>%1 ফাইল</translation>
    </message>
    <message>
        <source>%1 already exists.
Do you want to replace it?</source>
        <translation>%1 আগে থেকেই আছে।
আপনি কি এটি বদলাতে চান?</translation>
    </message>
    <message>
        <source>&amp;Choose</source>
        <translation>&amp;বেছে নিন</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;মুছুন</translation>
    </message>
    <message>
        <source>&amp;New Folder</source>
        <translation>&amp;নতুন ফোল্ডার</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>&amp;খুলুন</translation>
    </message>
    <message>
        <source>&amp;Rename</source>
        <translation>&amp;নাম বদলান</translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation>&amp;সংরক্ষণ করুন</translation>
    </message>
    <message>
        <source>'%1' is write protected.
Do you want to delete it anyway?</source>
        <translation>'%1' লেখা-সুরক্ষিত।
তবুও কি এটি মুছতে চান?</translation>
    </message>
    <message>
        <source>Alias</source>
        <translation>উপনাম</translation>
    </message>
    <message>
        <source>All Files (*)</source>
        <translation>সব ফাইল (*)</translation>
    </message>
    <message>
        <source>All files (*)</source>
        <translation>সব ফাইল (*)</translation>
    </message>
    <message>
        <source>Alt+Left</source>
        <translation>Alt+বাম</translation>
    </message>
    <message>
        <source>Alt+Right</source>
        <translation>Alt+ডান</translation>
    </message>
    <message>
        <source>Alt+Up</source>
        <translation>Alt+উপর</translation>
    </message>
    <message>
        <source>Are you sure you want to delete '%1'?</source>
        <translation>আপনি কি নিশ্চিত যে '%1' মুছতে চান?</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>পেছনে</translation>
    </message>
    <message>
        <source>Change to detail view mode</source>
        <translation>বিস্তারিত দৃশ্যে যান</translation>
    </message>
    <message>
        <source>Change to list view mode</source>
        <translation>তালিকা দৃশ্যে যান</translation>
    </message>
    <message>
        <source>Could not delete directory.</source>
        <translation>ফোল্ডার মোছা যায়নি।</translation>
    </message>
    <message>
        <source>Create New Folder</source>
        <translation>নতুন ফোল্ডার তৈরি করুন</translation>
    </message>
    <message>
        <source>Create a New Folder</source>
        <translation>একটি নতুন ফোল্ডার তৈরি করুন</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>মুছুন</translation>
    </message>
    <message>
        <source>Detail View</source>
        <translation>বিস্তারিত দৃশ্য</translation>
    </message>
    <message>
        <source>Directories</source>
        <translation>ফোল্ডার</translation>
    </message>
    <message>
        <source>Directory:</source>
        <translation>ফোল্ডার:</translation>
    </message>
    <message>
        <source>Drive</source>
        <translation>ড্রাইভ</translation>
    </message>
    <message>
        <source>File</source>
        <translation>ফাইল</translation>
    </message>
    <message>
        <source>File &amp;name:</source>
        <translation>ফাইলের &amp;নাম:</translation>
    </message>
    <message>
        <source>File Folder</source>
        <translation>ফাইল ফোল্ডার</translation>
    </message>
    <message>
        <source>Files</source>
        <translation>ফাইল</translation>
    </message>
    <message>
        <source>Files of type:</source>
        <translation>ফাইলের ধরন:</translation>
    </message>
    <message>
        <source>Find Directory</source>
        <translation>ফোল্ডার খুঁজুন</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>ফোল্ডার</translation>
    </message>
    <message>
        <source>Forward</source>
        <translation>সামনে</translation>
    </message>
    <message>
        <source>Go back</source>
        <translation>পেছনে যান</translation>
    </message>
    <message>
        <source>Go forward</source>
        <translation>সামনে যান</translation>
    </message>
    <message>
        <source>Go to the parent directory</source>
        <translation>মূল ফোল্ডারে যান</translation>
    </message>
    <message>
        <source>List View</source>
        <translation>তালিকা দৃশ্য</translation>
    </message>
    <message>
        <source>List of places and bookmarks</source>
        <translation>স্থান ও বুকমার্কের তালিকা</translation>
    </message>
    <message>
        <source>Look in:</source>
        <translation>এখানে দেখুন:</translation>
    </message>
    <message>
        <source>My Computer</source>
        <translation>আমার কম্পিউটার</translation>
    </message>
    <message>
        <source>New Folder</source>
        <translation>নতুন ফোল্ডার</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>খুলুন</translation>
    </message>
    <message>
        <source>Parent Directory</source>
        <translation>মূল ফোল্ডার</translation>
    </message>
    <message>
        <source>Recent Places</source>
        <translation>সাম্প্রতিক স্থান</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>সরান</translation>
    </message>
    <message>
        <source>Save As</source>
        <translation>এই নামে সংরক্ষণ করুন</translation>
    </message>
    <message>
        <source>Shortcut</source>
        <translation>শর্টকাট</translation>
    </message>
    <message>
        <source>Show </source>
        <translation>দেখান </translation>
    </message>
    <message>
        <source>Show &amp;hidden files</source>
        <translation>&amp;লুকানো ফাইল দেখান</translation>
    </message>
    <message>
        <source>Sidebar</source>
        <translation>পার্শ্ব প্যানেল</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>অজানা</translation>
    </message>
</context>
<context>
    <name>QFileSystemModel</name>
    <message>
        <source>&lt;b&gt;The name "%1" cannot be used.&lt;/b&gt;&lt;p&gt;Try using another name, with fewer characters or no punctuation marks.</source>
        <translation>&lt;b&gt;"%1" নামটি ব্যবহার করা যাবে না।&lt;/b&gt;&lt;p&gt;কম অক্ষর বা যতিচিহ্ন ছাড়া অন্য একটি নাম চেষ্টা করুন।</translation>
    </message>
    <message>
        <source>Computer</source>
        <translation>কম্পিউটার</translation>
    </message>
    <message>
        <source>Date Modified</source>
        <translation>পরিবর্তনের তারিখ</translation>
    </message>
    <message>
        <source>Invalid filename</source>
        <translation>ফাইলের নাম সঠিক নয়</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>ধরন</translation>
    </message>
    <message>
        <source>My Computer</source>
        <translation>আমার কম্পিউটার</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>নাম</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>আকার</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>ধরন</translation>
    </message>
</context>
<context>
    <name>QInputDialog</name>
    <message>
        <source>Enter a value:</source>
        <translation>একটি মান লিখুন:</translation>
    </message>
</context>
<context>
    <name>QLineEdit</name>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;কপি করুন</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;পেস্ট করুন</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;পুনরায় করুন</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;পূর্বাবস্থায় ফেরান</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>&amp;কাটুন</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>মুছুন</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>সব নির্বাচন করুন</translation>
    </message>
</context>
<context>
    <name>QMessageBox</name>
    <message>
        <source>&lt;h3&gt;About Qt&lt;/h3&gt;&lt;p&gt;This program uses Qt version %1.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Qt সম্পর্কে&lt;/h3&gt;&lt;p&gt;এই প্রোগ্রামটি Qt-এর %1 সংস্করণ ব্যবহার করে।&lt;/p&gt;</translation>
    </message>
    <message>
        <source>About Qt</source>
        <translation>Qt সম্পর্কে</translation>
    </message>
    <message>
        <source>Hide Details...</source>
        <translation>বিস্তারিত লুকান...</translation>
    </message>
    <message>
        <source>Show Details...</source>
        <translation>বিস্তারিত দেখান...</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <source>&amp;No</source>
        <translation>&amp;না</translation>
    </message>
    <message>
        <source>&amp;Yes</source>
        <translation>&amp;হ্যাঁ</translation>
    </message>
    <message>
        <source>Abort</source>
        <translation>বাতিল করে থামান</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>প্রয়োগ করুন</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>বাতিল</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>বন্ধ করুন</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>বাদ দিন</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>সাহায্য</translation>
    </message>
    <message>
        <source>Ignore</source>
        <translation>উপেক্ষা করুন</translation>
    </message>
    <message>
        <source>N&amp;o to All</source>
        <translation>সবগুলোতে &amp;না</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>ঠিক আছে</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>খুলুন</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>রিসেট করুন</translation>
    </message>
    <message>
        <source>Restore Defaults</source>
        <translation>ডিফল্ট ফিরিয়ে আনুন</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>আবার চেষ্টা করুন</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>সংরক্ষণ করুন</translation>
    </message>
    <message>
        <source>Save All</source>
        <translation>সব সংরক্ষণ করুন</translation>
    </message>
    <message>
        <source>Yes to &amp;All</source>
        <translation>সবগুলোতে &amp;হ্যাঁ</translation>
    </message>
</context>
<context>
    <name>QProgressDialog</name>
    <message>
        <source>Cancel</source>
        <translation>বাতিল</translation>
    </message>
</context>
<context>
    <name>QScrollBar</name>
    <message>
        <source>Bottom</source>
        <translation>নিচে</translation>
    </message>
    <message>
        <source>Left edge</source>
        <translation>বাম প্রান্ত</translation>
    </message>
    <message>
        <source>Page down</source>
        <translation>পরের পাতা</translation>
    </message>
    <message>
        <source>Page left</source>
        <translation>বাম পাতা</translation>
    </message>
    <message>
        <source>Page right</source>
        <translation>ডান পাতা</translation>
    </message>
    <message>
        <source>Page up</source>
        <translation>আগের পাতা</translation>
    </message>
    <message>
        <source>Right edge</source>
        <translation>ডান প্রান্ত</translation>
    </message>
    <message>
        <source>Scroll down</source>
        <translation>নিচে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Scroll here</source>
        <translation>এখানে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Scroll left</source>
        <translation>বামে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Scroll right</source>
        <translation>ডানে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Scroll up</source>
        <translation>উপরে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Top</source>
        <translation>উপরে</translation>
    </message>
</context>
<context>
    <name>QTabBar</name>
    <message>
        <source>Scroll Left</source>
        <translation>বামে স্ক্রল করুন</translation>
    </message>
    <message>
        <source>Scroll Right</source>
        <translation>ডানে স্ক্রল করুন</translation>
    </message>
</context>
<context>
    <name>QWidgetTextControl</name>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;কপি করুন</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>&amp;পেস্ট করুন</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;পুনরায় করুন</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;পূর্বাবস্থায় ফেরান</translation>
    </message>
    <message>
        <source>Copy &amp;Link Location</source>
        <translation>লিংকের &amp;ঠিকানা কপি করুন</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>&amp;কাটুন</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>মুছুন</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>সব নির্বাচন করুন</translation>
    </message>
</context>
</TS>
